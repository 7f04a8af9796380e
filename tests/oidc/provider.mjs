// A real OpenID provider (panva/oidc-provider) on loopback for Parley's OIDC tests.
// Started by scripts/test-servers; never for production.
//
//   node tests/oidc/provider.mjs <port>
//
// Environment (all optional except the client secret's default being a test value):
//   OIDC_PORT            port when argv has none
//   OIDC_CLIENT_ID       client id (default "parley"); id_tokens signed with RS256
//   OIDC_CLIENT_ID_ES256 a second client, same secret and redirect URIs, id_tokens signed with ES256
//                        (default "<client id>-es256")
//   OIDC_CLIENT_SECRET   shared secret of both clients (client_secret_post and client_secret_basic)
//   OIDC_REDIRECT_URIS   space-separated redirect URIs (default "http://127.0.0.1/callback")
//   OIDC_ACCOUNT_ID      the one account's subject (default "alice-sub")
//   OIDC_APPLICATION_TYPE "web" (default: redirect URIs match exactly) or "native": an http loopback
//                        redirect URI matches on any port (RFC 8252 section 7.3), so a relying party
//                        listening on an ephemeral port (the integration tests' server) can be
//                        registered; scheme, host, path and query must still match exactly
//
// Interactions are automated (no browser, no forms): GET /interaction/<uid> logs the fixed account
// in, then grants the requested scopes, each by a 303 back to the provider. A test drives the flow by
// following Location headers by hand, keeping the provider's cookies, until it reaches the redirect
// URI with `code` and `state`. PKCE (S256) is required for every client.
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 0);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node provider.mjs <port>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.OIDC_CLIENT_ID ?? 'parley';
const clientIdEs256 = process.env.OIDC_CLIENT_ID_ES256 ?? `${clientId}-es256`;
const clientSecret = process.env.OIDC_CLIENT_SECRET ?? 'parley-test-secret-0123456789abcdef';
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? 'http://127.0.0.1/callback').split(/\s+/).filter(Boolean);
const accountId = process.env.OIDC_ACCOUNT_ID ?? 'alice-sub';
const applicationType = process.env.OIDC_APPLICATION_TYPE ?? 'web';
if (applicationType !== 'web' && applicationType !== 'native') {
  console.error('OIDC_APPLICATION_TYPE must be web or native');
  process.exit(2);
}

// Fresh signing keys per run (one RSA, one EC P-256), each with a kid.
function signingKey(type, options, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}` };
}

const client = (id, alg) => ({
  client_id: id,
  client_secret: clientSecret,
  application_type: applicationType,
  redirect_uris: redirectUris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  id_token_signed_response_alg: alg,
});

const configuration = {
  clients: [client(clientId, 'RS256'), client(clientIdEs256, 'ES256')],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Put the scope-requested claims in the id_token too (the relying party reads them there).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  async findAccount(_ctx, sub) {
    if (sub !== accountId) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: 'alice@example.com',
          email_verified: true,
          name: 'Alice Liddell',
          preferred_username: 'alice',
        };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));

// Automated interactions: login as the fixed account, then consent to what was asked.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (ctx.method !== 'GET' || !match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId } };
  } else if (details.prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: details.params.client_id });
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: 'access_denied', error_description: `unsupported prompt ${details.prompt.name}` };
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
