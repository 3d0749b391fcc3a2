//! Property-test suites of the sample services.
