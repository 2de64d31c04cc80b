// Placeholder until the record types land (issue 3).
