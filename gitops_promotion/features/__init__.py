"""Feature (review) environments: copies of an app beside the first environment, and their cleanup."""
