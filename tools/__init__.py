"""Build-time tools (need the model extras: requirements-model.txt); never imported by the app."""
