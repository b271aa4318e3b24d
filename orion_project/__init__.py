"""Django project hosting the Orion API and UI."""
