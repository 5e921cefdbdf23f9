"""Quality gates: Great Expectations suites generated from the contracts and marts, and the gates."""
