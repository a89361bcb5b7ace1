//! Operator-written bot flows: the definition (a TOML file), its validation, and the engine.
