"""No admin pages: alerts change only through the witnessed workflow actions."""
