"""Alarm synthesis (``guardsim design``): the CloudWatch alarm that best approximates the judges."""
