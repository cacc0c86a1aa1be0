// A real OpenID Provider (panva/oidc-provider, OpenID Certified™) for the SSO tests.
//
// Started by tests/sso/provider.py on 127.0.0.1 and a free port; reads its settings as JSON from
// the environment variable OIDC_TEST_SETTINGS (clients, accounts, ID-token lifetime) and prints
// one JSON line {"issuer": ...} on stdout once it listens. Sign-in uses the library's own
// development interactions (any login names an account; the password is not checked), which is
// what a test needs and what a production provider (Keycloak) replaces with its login page.
import http from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(process.env.OIDC_TEST_SETTINGS || '{}');
const accounts = settings.accounts || {};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: settings.clients || [],
    // Authorization code with PKCE (S256) for every client, confidential ones included.
    pkce: { required: () => true },
    // Claims in the ID token itself (as a Keycloak mapper with "Add to ID token" does).
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      profile: ['name'],
      nip: ['nip'],
    },
    scopes: ['openid', 'profile', 'nip'],
    findAccount: async (ctx, sub) => {
      const claims = accounts[sub];
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...claims }) };
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Sign out</title></head><body><main>
            <h1>Sign out of the test provider?</h1>${form}
            <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            </main></body></html>`;
        },
      },
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: settings.idTokenTTL || 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    cookies: { keys: ['netral-learn-test-provider-cookie-key'] },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
