/**
 * The export blobs, standing in for Azure Blob Storage: `GET {rootDirectory}/{name}?{sasToken}`
 * returns the gzipped JSON lines (no Content-Encoding, as a stored .json.gz is
 * served); a missing, tampered or expired SAS gets Storage's 403.
 */
import { Readable } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { lowerQuery, type SandboxContext } from '../context.ts';
import { storageError } from '../errors.ts';

export function registerBlobRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/blobs/*', async (req, reply) => {
    const path = decodeURIComponent(req.url.split('?')[0] ?? '');
    const found = ctx.exports.findBlob(path);
    if (!found) return xml(reply, 404, storageError('BlobNotFound', 'The specified blob does not exist.', ctx.wallClock()));
    const sas = ctx.exports.checkSas(found.manifest, lowerQuery(req.query));
    if (sas !== 'ok') {
      ctx.stats.forbidden++;
      const message =
        sas === 'expired'
          ? 'Server failed to authenticate the request. Signed expiry time must be after the current time.'
          : 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.';
      return xml(reply, 403, storageError('AuthenticationFailed', message, ctx.wallClock()));
    }
    ctx.stats.blobsServed++;
    // Fastest deflate level: the files are rebuilt on every download and large exports run to gigabytes.
    const body = Readable.from(ctx.exports.blobText(found.manifest, found.index)).pipe(createGzip({ level: constants.Z_BEST_SPEED, chunkSize: 256 * 1024 }));
    return reply.code(200).header('content-type', 'application/octet-stream').header('x-ms-blob-type', 'BlockBlob').send(body);
  });
}

function xml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('application/xml').send(body);
}
