# Models arrive with their issues (see DESIGN.md sections 2-4).
