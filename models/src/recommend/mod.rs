//! Recommendation recipes, filters and Amazon Personalize's offline metrics, on in-memory
//! interactions.
