// The supervisor console (packages/web, built by Vite into dist/): its files at /, and its
// index.html at the console's own paths, so a link to /calls/<callId> opens the modal and
// /admin the admin screen.
// The files are public; everything they show comes over the authenticated API.
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

export function consoleRoutes(root: string): FastifyPluginAsync {
  return async (app) => {
    if (!existsSync(root)) {
      app.get('/', async (_request, reply) =>
        reply
          .type('text/plain')
          .send(
            'The console is not built. Run `npm run build:web` (npm start does it for you), then reload.',
          ),
      );
      return;
    }
    await app.register(fastifyStatic, { root, wildcard: false, index: ['index.html'] });
    app.get('/calls/:callId', async (_request, reply) => reply.sendFile('index.html'));
    app.get('/admin', async (_request, reply) => reply.sendFile('index.html'));
  };
}
