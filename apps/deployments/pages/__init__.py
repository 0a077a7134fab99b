"""The deployment page (`/deployments/<id>/`), its tabs, live fragments and actions.

One module per group: `words` (pure: the header's reason and a revision diff in
words), `detail` (the page and its live fragments), `tabs` (what each tab shows),
`actions` (the POSTs, each a call of one service in apps.deployments.services).
"""
