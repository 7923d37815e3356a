"""HTTP conventions the mobile and web apps rely on."""
