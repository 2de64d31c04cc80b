// Placeholder until the archive lands (issue 2).
