import Testing

@Test func outboxTestsPending() {}
