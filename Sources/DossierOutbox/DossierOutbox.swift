// Placeholder until the outbox lands (issue 4).
