"""综合服务系统 integrated services: notices, experts, venues, witness, archive, finance (one Django app each)."""
