// Placeholder until the contracts land: writes nothing. Replaced by the contracts issue.
