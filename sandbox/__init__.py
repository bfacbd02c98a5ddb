"""Running untrusted code in hardened containers (the code grader's executor; arrives with the sandbox issue)."""
