"""Pure rules of the venues context (rooms, bookings, seating, attendance, access)."""
