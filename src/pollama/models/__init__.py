"""Operations on stored models: create, copy, delete, and the views list/show read."""
