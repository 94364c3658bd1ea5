"""Firmware-side tools: ELF size accounting, board budgets, test vectors."""
