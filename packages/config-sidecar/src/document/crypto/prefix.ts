/** The prefix that marks a config value as a secret: `{jwe}<compact JWE>`. */
export const SECRET_PREFIX = '{jwe}'
