"""Needs in funds + goods + services: workflow, emergency advances and the public board."""
