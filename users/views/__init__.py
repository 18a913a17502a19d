"""The pages of the user list, a user's page and each act on a person; each act's page module is named as
its act's module in ``users.acts``."""
