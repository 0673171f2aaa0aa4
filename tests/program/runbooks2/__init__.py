"""The runbooks of docs/how-to/ (bootstrap, removal, lost passphrase, state restore), run as far as they run here."""
