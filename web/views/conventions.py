"""conventions pages."""
