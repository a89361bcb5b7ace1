//! Webhook security: CRC answers and signature checks.
