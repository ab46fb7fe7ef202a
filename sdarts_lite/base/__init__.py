"""The foundation every layer may use: guards that refuse bad input with a message naming the
field (guards), the device a run computes on (device), seeding (seeding), atomic files (files)."""
