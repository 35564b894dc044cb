"""Networks, losses, label utilities and pure maths; no file I/O here."""
