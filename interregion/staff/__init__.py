"""Window staff: clerks at accepting windows, reviewers at deciding departments, supervisors."""
