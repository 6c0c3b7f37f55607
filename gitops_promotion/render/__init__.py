"""Views of an Inventory (what runs where): terminal table, JSON data, markdown and an HTML dashboard."""
