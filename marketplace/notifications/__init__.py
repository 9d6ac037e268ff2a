"""In-site notifications: the bell with unread counts (issue 6 §8)."""
