"""One room as this node serves it.

``replica`` folds the log in seq order (reading gaps), ``fanout`` holds the local
members and writes each frame once per group, ``signals`` aggregates reactions and
viewer counts at the edge, ``sinks`` write prepared bytes to a connection, and
``runtime`` coordinates them: commands in, outcomes back, events out.
"""
