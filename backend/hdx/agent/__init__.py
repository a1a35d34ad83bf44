"""The party agent: an organization's keys, local data and policy, running its part of every protocol."""
