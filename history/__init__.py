"""What happened: the operations and audit trail pages, their filters and the retry of a failed operation."""
