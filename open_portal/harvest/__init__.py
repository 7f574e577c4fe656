"""The portal's side of harvesting: its harvest user, the scheduler thread, CLI and actions."""
