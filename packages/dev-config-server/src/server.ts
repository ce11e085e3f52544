// Placeholder: the dev config server is being built (see issue 3).
export const PLACEHOLDER = true
