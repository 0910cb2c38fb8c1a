"""交易指标与一屏管交易: Indicators (volume, value, savings, competition, timeliness, the plan's rates), the
periodic report and the regulators' one-screen dashboard.
"""
