"""Pieces every app shares and none owns: encryption at rest and the encrypted model fields."""
