"""Scale data: a generator that fills the database with Hunan-sized households and needs."""
