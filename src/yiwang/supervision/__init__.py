"""综合监管系统 integrated supervision: stats, redflags, credit, complaints, dashboard."""
