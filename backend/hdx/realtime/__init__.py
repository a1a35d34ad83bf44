"""Real time: events published after commit, fanned out through Redis, delivered over WebSockets."""
