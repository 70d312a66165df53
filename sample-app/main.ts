import 'reflect-metadata';

import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/** Placeholder: the sample app that uses `EnkashAuthModule` replaces this controller. */
@Controller()
class AppController {
  @Get()
  getStatus(): { status: string } {
    return { status: 'sample app placeholder: see README' };
  }
}

@Module({ controllers: [AppController] })
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(process.env.PORT ?? 3000);
}

await bootstrap();
