// A real OpenID Connect provider for PyWry's login tests, on loopback only.
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (comma-separated),
// ACCOUNTS (JSON: {"alice": {"email": "...", "roles": ["admin"]}}).
// The login form takes any account name listed in ACCOUNTS (any password).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: process.env.REDIRECT_URIS.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'roles'],
  claims: { openid: ['sub'], email: ['email'], roles: ['roles'] },
  conformIdTokenClaims: false,
  cookies: { keys: ['pywry-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
});
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
