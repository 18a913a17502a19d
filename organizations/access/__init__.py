"""Who may act on what: the rights of a principal in an organization (authorization) and the guardrails
every act on a person keeps."""
