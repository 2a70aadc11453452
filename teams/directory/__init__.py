"""Directory connectors: people and reporting lines pulled from Microsoft Entra ID (through
Microsoft Graph) and Okta, through the people sync like every other door.

- `mapping.py` (pure): which directory attribute each of our fields comes from, the defaults
  of each directory, and a directory user read into a sync record.
- `clients.py`: the two directories' APIs (token, paging, delta, throttling, errors), over
  one `requests` session.
- `connectors.py`: saving a connector (validated; its secret encrypted, refused without
  `ORGDESIGN_SECRETS_KEY`).
- `pull.py`: a run: fetch everything first, then one transaction through
  `teams.sync.sync_people` (door `connector`), the identities and the cursor; a preview or a
  failure writes nothing but the run's own record.
"""
