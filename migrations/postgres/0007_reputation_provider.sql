-- The reputation service checks each provider's updates against the chain's count before it
-- sends (services/reputation.c, vet_pending): per provider, not a scan of every update.
CREATE INDEX reputation_provider ON reputation_updates (provider, state);
