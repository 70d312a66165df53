import 'reflect-metadata';

import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { withDemoEnkashUnlessConfigured } from './demo-enkash.js';

async function bootstrap(): Promise<void> {
  // AppModule's ConfigModule.forRoot() has read .env into process.env once this resolves.
  await ConfigModule.envVariablesLoaded;
  const app = await NestFactory.create(await withDemoEnkashUnlessConfigured(AppModule));
  // Ctrl-C and SIGTERM close the app (the token renewal timer, EnKash connections, the HTTP server), then exit.
  app.enableShutdownHooks();

  const port = Number(process.env.PORT || 3000);
  await app.listen(port);

  const url = `http://localhost:${port}`;
  const logger = new Logger('SampleApp');
  logger.log(`Listening on ${url}. Try:`);
  logger.log(`  curl ${url}/payouts/balance`);
  logger.log(`  curl ${url}/enkash/status`);
  logger.log(`  curl ${url}/health`);
  logger.log(
    `  curl -X POST ${url}/payouts/beneficiaries -H 'Content-Type: application/json' ` +
      `-d '{"beneficiaryId":"BEN001","beneficiaryName":"Asha Rao","vpaHandle":"asha@upi"}'`,
  );
  logger.log(
    `  curl -X POST ${url}/payouts/transfers -H 'Content-Type: application/json' ` +
      `-d '{"transactionId":"TXN001","beneficiaryId":"BEN001","transferAmount":100,"transferMode":"UPI"}'`,
  );
  logger.log(
    `  curl -X POST ${url}/payouts/encrypted-transfers -H 'Content-Type: application/json' ` +
      `-d '{"transactionId":"TXN002","beneficiaryId":"BEN001","transferAmount":100,"transferMode":"UPI"}'`,
  );
}

await bootstrap();
