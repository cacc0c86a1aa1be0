"""Question bank, quiz settings per program, attempts with frozen questions, server-side scoring."""
