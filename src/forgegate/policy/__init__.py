"""Policy: what to check, how severe, and which findings are accepted (see DESIGN.md)."""
